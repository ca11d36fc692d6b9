// Middleware (middleware.js runs on the edge runtime; Next.js 16 calls the file deprecated in
// favour of proxy.js, which runs on Node.js like the route handler of app/api/node).
import './app/strict-edge.js';
import { NextResponse } from 'next/server';
import { run } from './app/scenario.js';

export async function middleware(request) {
  return NextResponse.json(await run(await request.json()));
}

export const config = { matcher: '/middleware' };
