#!/usr/bin/env node
/* global require */
'use strict';
// The `ogpu-events` command: the compiled CLI (dist/cjs/cli/run.js) runs main() and exits with its code.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../dist/cjs/cli/run.js');
