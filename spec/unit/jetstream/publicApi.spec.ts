import * as ts from 'typescript';
import { join } from 'node:path';
import * as api from 'ogpu-events/jetstream';

describe('the public API of ogpu-events/jetstream', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'BrokerAuthenticationError',
        'BrokerPermissionError',
        'BrokerUnavailableError',
        'DEFAULT_STREAM',
        'MSG_ID_HEADER',
        'REMOVED_HEADER',
        'StreamMismatchError',
        'createJetStreamNexusEvents',
        'relayToJetStream',
      ].sort(),
    );
  });

  it('documents every export with a TSDoc summary and an @example', () => {
    const entry = join(__dirname, '..', '..', '..', 'src', 'jetstream', 'index.ts');
    const program = ts.createProgram([entry], {
      strict: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    const checker = program.getTypeChecker();
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    const undocumented: string[] = [];
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
      const hasExample = symbol.getJsDocTags(checker).some((tag) => tag.name === 'example');
      if (summary === '' || !hasExample) undocumented.push(exported.getName());
    }
    expect(undocumented).toEqual([]);
  });
});
