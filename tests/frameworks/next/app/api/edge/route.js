// A route handler on the edge runtime.
import '../../strict-edge.js';
import { run } from '../../scenario.js';

export const runtime = 'edge';

export async function POST(request) {
  return Response.json(await run(await request.json()));
}
