import type { StackTools } from '../../scripts/deploy/stack-tools';

/** StackTools that answer terraform commands from a script and record everything. */
export class FakeStackTools implements StackTools {
  readonly commands: string[][] = [];
  readonly made: string[] = [];
  readonly printed: string[] = [];
  readonly questions: string[] = [];
  answer = '';
  private readonly replies: Array<{ match: (args: readonly string[]) => boolean; reply: string[] }> = [];

  /** Captured output for terraform commands starting with `prefix`, one per call, the last repeating. */
  on(prefix: string[], ...outputs: string[]): this {
    this.replies.push({ match: (args) => prefix.every((part, index) => args[index] === part), reply: outputs });
    return this;
  }

  async terraform(args: readonly string[]): Promise<string> {
    this.commands.push([...args]);
    const entry = this.replies.find((candidate) => candidate.match(args));
    if (!entry) return '';
    return entry.reply.length > 1 ? entry.reply.shift()! : (entry.reply[0] ?? '');
  }

  async make(target: string): Promise<void> {
    this.made.push(target);
  }

  async confirm(question: string, expected: string): Promise<boolean> {
    this.questions.push(question);
    return this.answer === expected;
  }

  print(line: string): void {
    this.printed.push(line);
  }

  /** The terraform subcommands run, in order (init, console, plan, ...). */
  subcommands(): string[] {
    return this.commands.map((args) => args[0]!);
  }
}
