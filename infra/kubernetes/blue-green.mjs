#!/usr/bin/env node
// The live colour of message-service in an overlay (components/blue-green): the Service behind the ingress
// selects the pods of one colour; the other colour is idle, takes the next release and is validated through
// its preview Service (message-service-<colour>) before the flip. docs/operations/blue-green.md.
//   node infra/kubernetes/blue-green.mjs status <overlay dir>          live and idle colour of the overlay
//   node infra/kubernetes/blue-green.mjs set-live <overlay dir> <blue|green>
//   node infra/kubernetes/blue-green.mjs flip <overlay dir>            live ↔ idle (the release, or its rollback)
// Exit 0: done (status prints `live=<colour> idle=<colour>`). Exit 1: the overlay has no valid live-colour.yaml.
// Exit 2: usage.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COLOURS = ['blue', 'green'];
const LINE = /^([ \t]+astria\.dev\/colour:[ \t]*)(\S+)[ \t]*$/m;

/** The other colour. */
export function otherColour(colour) {
  if (!COLOURS.includes(colour)) throw new Error(`unknown colour ${colour}: blue or green`);
  return colour === 'blue' ? 'green' : 'blue';
}

/** The live colour the overlay's live-colour.yaml selects. */
export function liveColour(overlay) {
  const text = readFileSync(join(overlay, 'live-colour.yaml'), 'utf8');
  const match = text.match(LINE);
  if (!match || !/^kind:\s*Service\s*$/m.test(text) || !/^\s+name:\s*message-service\s*$/m.test(text))
    throw new Error(`${overlay}/live-colour.yaml: no Service message-service selecting astria.dev/colour`);
  const colour = match[2].replace(/^["']|["']$/g, '');
  if (!COLOURS.includes(colour)) throw new Error(`${overlay}/live-colour.yaml: unknown colour ${colour}`);
  return colour;
}

/** Rewrites the overlay's live colour (only the selector line changes). */
export function setLiveColour(overlay, colour) {
  otherColour(colour); // validates
  liveColour(overlay); // the file is what we expect
  const path = join(overlay, 'live-colour.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace(LINE, `$1${colour}`));
  return colour;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, overlay, colour] = process.argv.slice(2);
  const usage = () => {
    console.error('usage: blue-green.mjs status|flip <overlay dir> | set-live <overlay dir> <blue|green>');
    process.exit(2);
  };
  if (!overlay || !['status', 'flip', 'set-live'].includes(command)) usage();
  if (command === 'set-live' && !COLOURS.includes(colour)) usage();
  try {
    const live =
      command === 'flip'
        ? setLiveColour(overlay, otherColour(liveColour(overlay)))
        : command === 'set-live'
          ? setLiveColour(overlay, colour)
          : liveColour(overlay);
    console.log(`live=${live} idle=${otherColour(live)}`);
  } catch (error) {
    console.error(`blue-green: ${error.message}`);
    process.exit(1);
  }
}
