// Helpers shared by the node benchmarks.

/** The body of an API answer, or an error naming what was asked when it failed. */
export function ok(r, what) {
  if (r.status >= 300) {
    throw new Error(`${what}: ${r.status} ${r.text}`);
  }
  return r.body;
}

/** Waits until cond() is truthy (every 200 ms); throws after ms. */
export async function until(cond, what, ms = 600000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(`timed out: ${what}`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}
