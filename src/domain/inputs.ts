import { z } from "zod";
import { invalid } from "./errors.js";

/**
 * Checks of single values a caller gives, made before anything is written (docs/interface.md, bad
 * input): a MAC address, an address that must not be empty, and the generic MTU option. The names'
 * rule is in names.ts.
 */

/** Six colon-separated octets (net.ParseMAC's common form), as Docker's --mac-address takes it. */
const macPattern = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/**
 * An interface's own MAC: six octets, and unicast — the low bit of the first octet clear, so neither
 * multicast nor broadcast (ff:ff:ff:ff:ff:ff), which the kernel refuses for a link's address.
 */
export const macSchema = z.string().superRefine((mac, ctx) => {
  if (!macPattern.test(mac))
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(mac)} is not a MAC address: six hex octets separated by ":", as 02:42:ac:11:00:02` });
  else if ((parseInt(mac.slice(0, 2), 16) & 1) === 1)
    ctx.addIssue({ code: "custom", message: `${mac} is a ${mac.toLowerCase() === "ff:ff:ff:ff:ff:ff" ? "broadcast" : "multicast"} address; an interface needs a unicast MAC (first octet even)` });
});

/** An address a caller asked for: absent means "any", so an empty one is a mistake, not "any". */
export const givenAddressSchema = z.string().min(1, "must not be empty: give an address, or leave the option out for one from the pool");

/** libnetwork's generic MTU option (netlabel.DriverMTU), which every driver is handed. */
export const mtuOption = "com.docker.network.driver.mtu";

/** The MTU option, when given, is a whole number from 68 (IPv4's minimum) to 65535; 0 means the default. */
export function checkMtuOption(options: Record<string, string>): void {
  const v = options[mtuOption];
  if (v === undefined) return;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n === 0 || (n >= 68 && n <= 65535)))
    throw invalid(`option ${mtuOption}=${JSON.stringify(v)} is not an MTU: give a whole number from 68 to 65535 (0 for the default)`);
}
