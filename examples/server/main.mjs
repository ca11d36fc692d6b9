// npm start runs this: the demo on 127.0.0.1:$PORT (8080 by default) until Ctrl-C.
import { startDemo } from './server.mjs';

const port = Number(process.env.PORT || 8080);
const demo = await startDemo({ port });
console.log(`\nauthlane demo: ${demo.url}/\n  log in as demo / demo, expire the token, fire 20 requests, watch one refresh.\n  Ctrl-C stops.`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await demo.close();
    console.log('\nstopped');
    process.exit(0);
  });
}
