// A route handler on the Node.js runtime (the default).
import { run } from '../../scenario.js';

export async function POST(request) {
  return Response.json(await run(await request.json()));
}
