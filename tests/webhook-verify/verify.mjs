// Verifies recorded webhook deliveries the way a customer's receiver would, two ways:
// with the Node.js snippet of Skopio's public API document (copied as printed there), and
// with the Standard Webhooks reference library. Reads a JSON array of cases from the file
// named as its argument: {body_base64, headers, secret, skopio_header}; prints one result
// per case: {skopio: true|false|null, standard: true|false}.
import {createHmac, timingSafeEqual} from "node:crypto";
import {readFileSync} from "node:fs";
import {Webhook} from "standardwebhooks";

// The document's snippet.
function verify(rawBody, sigHeader, secret) {
const expected = "sha256=" + createHmac("sha256", secret).update(rawBody).digest("hex");
return timingSafeEqual(Buffer.from(expected), Buffer.from(sigHeader));
}

// timingSafeEqual throws when the lengths differ: that is a failed verification too.
function attempt(check) {
  try {
    return check() !== false;
  } catch {
    return false;
  }
}

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = cases.map((c) => {
  const raw = Buffer.from(c.body_base64, "base64");
  const header = c.skopio_header ? c.headers[c.skopio_header.toLowerCase()] : undefined;
  const skopio = c.skopio_header ? attempt(() => verify(raw, header ?? "", c.secret)) : null;
  const standard = attempt(() => new Webhook(c.secret).verify(raw, c.headers));
  return {skopio, standard};
});
console.log(JSON.stringify(results));
