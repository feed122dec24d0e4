import type { Plugin } from 'vite';

/** A Vite plugin that fails the build when the bundle's import graph asks for a Node built-in. */
export function browserOnly(): Plugin;
