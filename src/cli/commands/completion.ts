import { Argument, type Command } from "commander";
import type { CliContext } from "../context.js";

/** One command of the tree as completion sees it: its path, what may follow it, and its options. */
interface Spec {
  path: string;
  /** Subcommands (with aliases), or the choices of a leaf command's first argument. */
  words: { name: string; description: string }[];
  options: { flag: string; description: string; takesValue: boolean }[];
}

function optionsOf(cmd: Command): Spec["options"] {
  return cmd.options.flatMap((o) =>
    [o.short, o.long].filter((f): f is string => f !== undefined).map((flag) => ({ flag, description: o.description, takesValue: o.required || o.optional })),
  );
}

/** Walks the commander tree: the CLI's own declarations are the completion's only source. */
function specsOf(program: Command): Spec[] {
  const global = optionsOf(program).filter((o) => o.flag !== "--version");
  const help = { flag: "--help", description: "show help for this command", takesValue: false };
  const out: Spec[] = [];
  const walk = (cmd: Command, path: string) => {
    const words = cmd.commands
      .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
      .flatMap((c) => [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description() })));
    const choices = cmd.registeredArguments[0]?.argChoices ?? [];
    words.push(...choices.map((name) => ({ name, description: "" })));
    const own = path === "" ? [] : optionsOf(cmd);
    out.push({ path, words, options: [...own, ...global, help, ...(path === "" ? [{ flag: "--version", description: "print the version", takesValue: false }] : [])] });
    for (const c of cmd.commands) walk(c, path ? `${path} ${c.name()}` : c.name());
    // An alias leads to the same options as its command.
    for (const c of cmd.commands) for (const a of c.aliases()) out.push({ ...out.find((s) => s.path === (path ? `${path} ${c.name()}` : c.name()))!, path: path ? `${path} ${a}` : a });
  };
  walk(program, "");
  return out;
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Event types and families, offered for --type. */
function typeWords(types: readonly string[]): string[] {
  return [...new Set([...types.map((t) => t.slice(0, t.indexOf("."))), ...types])];
}

/**
 * The shell functions both scripts share (bash and zsh read the same syntax here): which words follow
 * a command path, which options it has, which take a value, and the values some of them take.
 * `_netledger_candidates WORD…` prints the candidates for the last word, one a line, as `name` or
 * (zsh, with `-d`) `name:description`; `__files__`/`__dirs__` ask the shell for file names.
 */
function commonFunctions(specs: Spec[], types: readonly string[]): string {
  const caseOf = (fn: string, body: (s: Spec) => string[]) =>
    [
      `${fn}() {`,
      `  case "$1" in`,
      ...specs.map((s) => `    ${sq(s.path)}) ${body(s).length ? `printf '%s\\n' ${body(s).map(sq).join(" ")}` : ":"} ;;`),
      `  esac`,
      `}`,
    ].join("\n");
  const valued = specs.flatMap((s) => s.options.filter((o) => o.takesValue).map((o) => `${s.path}|${o.flag}`));
  return [
    caseOf("_netledger_words", (s) => s.words.map((w) => `${w.name}:${w.description}`)),
    caseOf("_netledger_options", (s) => s.options.map((o) => `${o.flag}:${o.description}`)),
    `_netledger_takes_value() {`,
    `  case "$1|$2" in`,
    `    ${valued.map(sq).join("|") || "''"}) return 0 ;;`,
    `  esac`,
    `  return 1`,
    `}`,
    `_netledger_values() {`,
    `  case "$1" in`,
    `    --db) echo __files__ ;;`,
    `    --plugin-dir) echo __dirs__ ;;`,
    `    --type) printf '%s\\n' ${typeWords(types).map(sq).join(" ")} ;;`,
    `    -d|--driver) printf '%s\\n' null host bridge overlay ;;`,
    `  esac`,
    `}`,
    `_netledger_candidates() {`,
    `  local describe=0 cmdpath="" prev="" word`,
    `  if [ "$1" = "-d" ]; then describe=1; shift; fi`,
    `  while [ $# -gt 1 ]; do`,
    `    word="$1"; shift`,
    `    if [ -n "$prev" ]; then prev=""; continue; fi`,
    `    case "$word" in`,
    `      -*=*) ;;`,
    `      -*) if _netledger_takes_value "$cmdpath" "$word"; then prev="$word"; fi ;;`,
    `      *) if _netledger_words "$cmdpath" | cut -d: -f1 | grep -qxF -- "$word"; then cmdpath="\${cmdpath:+$cmdpath }$word"; fi ;;`,
    `    esac`,
    `  done`,
    `  if [ -n "$prev" ]; then _netledger_values "$prev"; return; fi`,
    `  case "$1" in`,
    `    -*) _netledger_options "$cmdpath" ;;`,
    `    *) _netledger_words "$cmdpath" ;;`,
    `  esac | if [ $describe = 1 ]; then cat; else cut -d: -f1; fi`,
    `}`,
  ].join("\n");
}

function bashCompletion(program: Command, types: readonly string[]): string {
  return `# bash completion for netledger, made by \`netledger completion bash\`.
# Load it now:       source <(netledger completion bash)
# Or for every shell: netledger completion bash > /etc/bash_completion.d/netledger

${commonFunctions(specsOf(program), types)}

_netledger() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" line
  COMPREPLY=()
  while IFS= read -r line; do
    case "$line" in
      __files__) while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -f -- "$cur") ;;
      __dirs__) while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -d -- "$cur") ;;
      *) [[ "$line" == "$cur"* ]] && COMPREPLY+=("$line") ;;
    esac
  done < <(_netledger_candidates "\${COMP_WORDS[@]:1:COMP_CWORD}")
}
complete -o filenames -F _netledger netledger
`;
}

function zshCompletion(program: Command, types: readonly string[]): string {
  return `#compdef netledger
# zsh completion for netledger, made by \`netledger completion zsh\`.
# Load it now:       source <(netledger completion zsh)   (after compinit)
# Or for every shell: netledger completion zsh > "\${fpath[1]}/_netledger"

${commonFunctions(specsOf(program), types)}

_netledger() {
  local -a lines
  lines=("\${(@f)$(_netledger_candidates -d "\${(@)words[2,CURRENT]}")}")
  case "\${lines[1]}" in
    __files__) _files ;;
    __dirs__) _files -/ ;;
    *) _describe -t values netledger lines ;;
  esac
}

if [[ "\${zsh_eval_context[-1]}" == loadautoload ]]; then
  _netledger "$@"
else
  compdef _netledger netledger
fi
`;
}

export function registerCompletion(program: Command, cli: CliContext): void {
  program
    .command("completion")
    .description("print a shell completion script for bash or zsh")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .addHelpText(
      "after",
      `
Examples:
  source <(netledger completion bash)
  netledger completion zsh > "\${fpath[1]}/_netledger"
`,
    )
    .action(async (shell: "bash" | "zsh") => {
      // The event types come from their schemas (zod): loaded for this command only, not at every start.
      const types = Object.keys((await import("../../domain/events.js")).eventSchemas);
      cli.io.out(shell === "bash" ? bashCompletion(program, types) : zshCompletion(program, types));
    });
}
