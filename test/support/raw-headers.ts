import http from "node:http";

/**
 * A request whose response headers are read as sent, repeated ones separately (fetch
 * folds them into one comma-joined value, which hides a header sent twice).
 */
export function requestRaw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: [name: string, value: string][]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        const headers: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode ?? 0, headers, body });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Every value of header `name` in a raw header list. */
export const headerValues = (headers: [string, string][], name: string) => headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
