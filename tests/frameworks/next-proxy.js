// proxy.js, Next.js 16's name for middleware (it runs on the Node.js runtime). The test puts it
// in place of the app's middleware.js (edge) in half of the Next.js apps: an app has one or the
// other (frameworks.test.mjs, makeNextApp).
import { NextResponse } from 'next/server';
import { run } from './app/scenario.js';

export async function proxy(request) {
  return NextResponse.json(await run(await request.json()));
}

export const config = { matcher: '/middleware' };
