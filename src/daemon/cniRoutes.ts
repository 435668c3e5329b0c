import { z } from "zod";
import { serveCniCall } from "../cni/serve.js";
import { type Route, route } from "./route.js";

/**
 * netledger-cni's call carried by the daemon (issue 19): the plugin sends the runtime's CNI_* variables
 * and config in one request and prints the answer, so that a runtime's plugin process loads no
 * controller and makes one round trip (docs/interface.md §5).
 */
export const cniRoutes: Route[] = [
  route({
    method: "POST",
    path: "/cni",
    operationId: "cniCall",
    summary: "run one CNI call (ADD, DEL, CHECK, GC, STATUS) as netledger-cni would, under the actor cni",
    body: z.object({
      env: z.record(z.string(), z.string()).describe("the runtime's CNI_* variables (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH)"),
      config: z.string().describe("the network configuration as the runtime gave it on stdin"),
    }),
    bodyIs: "CNI call",
    response: z.object({
      exitCode: z.number().int().describe("the plugin's exit status: 0, or 1 with the spec's error object as output"),
      output: z.record(z.string(), z.unknown()).nullable().describe("what the plugin prints: a result, an error object, or nothing"),
    }),
    handle: (api, r) => serveCniCall(api, r.body.env, r.body.config),
  }),
];
