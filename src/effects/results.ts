import { isIP } from "node:net";
import { z } from "zod";
import type { EffectOp } from "../domain/effectOps.js";
import { NetledgerError } from "../domain/errors.js";

/**
 * What a driver may answer, per operation (the contract's result types, checked): a driver is code
 * netledger does not control, and what it answers is stored in the log. A malformed answer is a
 * BadResponse — a classified failure, never a crash and never a row that cannot be replayed.
 */
function cidr(family: 4 | 6) {
  return z.string().refine(
    (s) => {
      const [addr, prefix, ...rest] = s.split("/");
      if (rest.length > 0 || addr === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
      return isIP(addr) === family && Number(prefix) <= (family === 4 ? 32 : 128);
    },
    { message: `expected an IPv${family} address in CIDR form` },
  );
}

const ip = (family: 4 | 6) => z.string().refine((s) => isIP(s) === family, { message: `expected an IPv${family} address` });
const mac = z.string().regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, "expected a MAC address");

const createEndpointResult = z
  .object({
    interface: z.object({ address: cidr(4).nullish(), addressIPv6: cidr(6).nullish(), mac: mac.nullish() }).optional(),
  })
  .nullish();

const joinResult = z
  .object({
    interfaceName: z.object({ srcName: z.string().min(1), dstPrefix: z.string().min(1) }).optional(),
    gateway: ip(4).optional(),
    gatewayIPv6: ip(6).optional(),
    staticRoutes: z
      .array(z.object({ destination: z.string().min(1), routeType: z.number().int(), nextHop: z.string() }))
      .optional(),
    disableGatewayService: z.boolean().optional(),
  })
  // Driver-specific extras are kept (a plugin's JoinResponse may carry more), as long as they are JSON.
  .catchall(z.json())
  .nullish();

/** The answer of a call, as it will be stored; throws a BadResponse when it breaks the contract. */
export function checkResult(op: EffectOp, raw: unknown): unknown {
  const schema = op === "createEndpoint" ? createEndpointResult : op === "join" ? joinResult : undefined;
  // Operations without a result: whatever came back is dropped, never stored.
  if (!schema) return null;
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`).join("; ");
    throw new NetledgerError("BadResponse", `answered something that is not a ${op} result (${issues})`);
  }
  return r.data ?? {};
}
