#!/usr/bin/env node
const [command] = process.argv.slice(2);
process.stdout.write(`running ${command}\n`);
