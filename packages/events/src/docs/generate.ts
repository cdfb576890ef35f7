#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { withCatalog } from './catalog-markdown.js';

/** Rewrites the catalog table in docs/events.md from the code. */
const path = new URL('../../../../docs/events.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withCatalog(before);
writeFileSync(path, after);
console.log(before === after ? 'docs/events.md is up to date' : 'docs/events.md regenerated');
