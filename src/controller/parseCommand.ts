import { createHash } from "node:crypto";
import { type Command, type CommandInput, commandSchemas, type CommandType } from "../domain/commands.js";
import { invalid } from "../domain/errors.js";
import { randomHex } from "../effects/randomHex.js";
import { issuesText } from "../domain/schemaIssues.js";

/**
 * Validates a command with its zod schema; bad input is an InvalidParameter and writes nothing. A
 * command that creates an entity and names no id gets one: random, or derived from the request id so
 * that a command sent again after a crash names the same entity (and so has the same fingerprint).
 */
export function parseCommand(input: CommandInput, requestId: string | undefined): Command {
  const type = input.type as CommandType;
  if (!Object.hasOwn(commandSchemas, type)) throw invalid(`unknown command type "${String((input as { type?: unknown }).type)}"`);
  const schema = commandSchemas[type];
  const withId = "shape" in schema && "id" in schema.shape && (input as { id?: string }).id === undefined ? { ...input, id: newId(type, requestId) } : input;
  const r = schema.safeParse(withId);
  if (!r.success) {
    throw invalid(`invalid ${input.type} command: ${issuesText(r.error)}`);
  }
  return r.data as Command;
}

function newId(type: string, requestId: string | undefined): string {
  return requestId !== undefined ? createHash("sha256").update(`netledger:${type}:${requestId}`).digest("hex") : randomHex(32);
}
