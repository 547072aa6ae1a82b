/** A slash command: `/name@bot args`. Its own module so conversation and admin share it without a cycle. */
export interface Command {
  name: string;
  args: string;
}

/** `/name@bot args`; the args keep their line breaks (sentences come one per line). */
export function parseCommand(text: string | undefined): Command | undefined {
  const match = /^\/([a-z_]+)(?:@\w+)?(?:[ \t]+|(?=\n)|$)([\s\S]*)$/i.exec(text?.trim() ?? '');
  return match ? { name: (match[1] ?? '').toLowerCase(), args: (match[2] ?? '').trim() } : undefined;
}
