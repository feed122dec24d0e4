import type { Plugin } from 'vite';

/** A Vite plugin that fails the build when the bundle's import graph asks for a Node built-in. */
export function browserOnly(): Plugin;

/**
 * A Vite plugin that gives tweetnacl's guarded `require('crypto')` (never run in a browser)
 * an empty module; put it before {@link browserOnly}.
 */
export function naclWithoutNodeCrypto(): Plugin;
