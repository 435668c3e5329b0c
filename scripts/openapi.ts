import { writeFileSync } from "node:fs";
import { openApiDocument } from "../src/daemon/openapi.js";

/** Writes docs/openapi.json from the route table and the zod schemas: `npm run openapi`. */
const target = new URL("../docs/openapi.json", import.meta.url);
writeFileSync(target, JSON.stringify(openApiDocument(), null, 2) + "\n");
process.stdout.write(`wrote ${target.pathname}\n`);
