import { z } from "zod";
import { type Family, tryParseIp } from "../ipam/address.js";

/**
 * What a driver may answer, per operation (the contract's result types as schemas): a driver is code
 * netledger does not control, and what it answers is stored in the log. The effect layer checks each
 * answer against its operation's schema once, where the driver answers; what fails is a classified
 * failure of the call, never a crash and never a row that cannot be replayed.
 */

function cidrOf(s: string): { family: Family; prefix: number } | undefined {
  const [addr, prefix, ...rest] = s.split("/");
  if (rest.length > 0 || addr === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return undefined;
  const ip = tryParseIp(addr);
  if (!ip || Number(prefix) > (ip.family === 4 ? 32 : 128)) return undefined;
  return { family: ip.family, prefix: Number(prefix) };
}

export const isCidr = (s: string): boolean => cidrOf(s) !== undefined;

const cidr = (family: Family) =>
  z.string().refine((s) => cidrOf(s)?.family === family, { message: `expected an IPv${family} address in CIDR form` });
const ip = (family: Family) => z.string().refine((s) => tryParseIp(s)?.family === family, { message: `expected an IPv${family} address` });
const mac = z.string().regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, "expected a MAC address");

/** Operations that answer nothing: whatever came back is dropped, never stored. */
export const noResult = z.unknown().transform((): null => null);

export const createEndpointResult = z
  .object({
    interface: z.object({ address: cidr(4).nullish(), addressIPv6: cidr(6).nullish(), mac: mac.nullish() }).optional(),
  })
  .nullish()
  .transform((r) => r ?? {});

export const joinResult = z
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
  .nullish()
  .transform((r) => r ?? {});

/** An IPAM answer's metadata; anything but a map of strings counts as none (as before). */
const ipamData = z.record(z.string(), z.string()).optional().catch(undefined);

const notSubnet = (v: unknown) => `RequestPool returned "${String(v)}", which is not a subnet in CIDR form`;
const notAddress = (v: unknown) => {
  const text = String(v);
  const plain = tryParseIp(text.includes("/") ? text.slice(0, text.indexOf("/")) : text);
  return `RequestAddress returned "${text}", which is not ${plain ? "in CIDR form" : "an address"}`;
};

/**
 * RequestPool's answer (ipamapi: pool id, pool in CIDR form, data). Its messages say what the driver
 * returned, as a person reading `IPAM driver X: …` needs them.
 */
export const requestPoolResult = z.looseObject(
  {
    poolId: z.string({ error: "RequestPool returned no pool id" }).min(1, "RequestPool returned no pool id"),
    pool: z.string({ error: (iss) => notSubnet(iss.input) }).refine(isCidr, { error: (iss) => notSubnet(iss.input) }),
    data: ipamData,
  },
  { error: "RequestPool returned no pool id" },
);

/** RequestAddress's answer: the address in CIDR form (the contract's and the wire's form), and data. */
export const requestAddressResult = z.looseObject(
  {
    address: z
      .string({ error: "RequestAddress returned no address" })
      .min(1, "RequestAddress returned no address")
      .refine(isCidr, { error: (iss) => notAddress(iss.input) }),
    data: ipamData,
  },
  { error: "RequestAddress returned no address" },
);

/**
 * A release answers nothing, or the error it met: libnetwork logs a failed ReleasePool/ReleaseAddress
 * and goes on, and so does netledger, keeping the error in the outcome.
 */
export const releaseResult = z.object({ ignoredError: z.object({ code: z.string(), message: z.string() }) }).nullish().transform((r) => r ?? null);

/** The family of a CIDR text already checked by a result schema. */
export function familyOfCidr(s: string): Family | undefined {
  return cidrOf(s)?.family;
}
