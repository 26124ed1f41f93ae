// A generated table for the streaming benchmark and the large-file CLI run: an ID, ten numeric
// columns (missing cells, one log-normal, one integer count), three categorical ones (5, 40 and a
// long tail of 2000 levels), a date, and a binary label that depends on most of them with noise,
// so test accuracy means something. Written in 8 MB blocks; the same seed gives the same bytes.
import { once } from 'node:events';
import { createWriteStream, existsSync, statSync } from 'node:fs';

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const CITIES = Array.from({ length: 40 }, (_, i) => `city_${i}`);
const COLORS = ['red', 'green', 'blue', 'black', 'white'];

/** Writes about `bytes` bytes of CSV to `file` (kept if it already has that size class); returns its rows. */
export async function writeStreamCsv(file, bytes, seed = 1) {
  if (existsSync(file) && Math.abs(statSync(file).size - bytes) < bytes * 0.02 + 4096) return null;
  const random = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out = createWriteStream(file);
  out.write('id,x0,x1,x2,x3,x4,x5,x6,amount,visits,score,color,city,product,signup,label\n');
  let written = 0;
  let rows = 0;
  while (written < bytes) {
    const lines = [];
    let block = 0;
    while (block < 8 << 20) {
      const x = Array.from({ length: 7 }, normal);
      const amount = Math.exp(1 + 1.2 * normal());
      const visits = Math.floor(-Math.log(1 - random()) * 4);
      const score = normal();
      const color = COLORS[Math.floor(random() * 5)];
      const cityIndex = Math.min(39, Math.floor(-Math.log(1 - random()) * 8));
      const product = `p${Math.floor(2000 * random() ** 3)}`;
      const day = Math.floor(random() * 3650);
      const signup = new Date(Date.UTC(2015, 0, 1 + day)).toISOString().slice(0, 10);
      const z =
        1.2 * x[0] -
        0.8 * x[1] +
        0.6 * x[2] * x[3] +
        0.5 * Math.log(amount) -
        0.3 * visits +
        (color === 'red' ? 0.8 : color === 'blue' ? -0.6 : 0) +
        (cityIndex < 3 ? 0.7 : -0.2) +
        0.0004 * (day - 1800) +
        0.7 * normal();
      const cells = [
        rows,
        ...x.map((v, i) => (i >= 5 && random() < 0.03 ? '' : v.toFixed(4))),
        random() < 0.02 ? 'NA' : amount.toFixed(2),
        visits,
        random() < 0.05 ? '' : score.toFixed(3),
        color,
        cityIndex === 39 ? '' : CITIES[cityIndex],
        product,
        signup,
        z > 0 ? 'yes' : 'no',
      ];
      const line = cells.join(',');
      lines.push(line);
      block += line.length + 1;
      rows++;
    }
    const text = `${lines.join('\n')}\n`;
    written += text.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}
