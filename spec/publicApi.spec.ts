import * as ts from 'typescript';
import { join } from 'node:path';
import * as api from 'ogpu-events';

describe('the public API', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'AttemptedEvent',
        'Environment',
        'InvalidAddressError',
        'InvalidOptionError',
        'InvalidRpcResponseError',
        'NETWORKS',
        'NEXUS_EVENT_TOPICS',
        'NexusEvent',
        'NexusNotFoundError',
        'OgpuEventsError',
        'RegisteredEvent',
        'ResponseStatus',
        'ResponseStatusChangedEvent',
        'ResponseSubmittedEvent',
        'RpcRequestError',
        'RpcUnavailableError',
        'TaskPublishedEvent',
        'TaskStatus',
        'TaskStatusChangedEvent',
        'createNexusEvents',
        'describeDiagnostic',
        'enumKey',
        'environmentNames',
        'hasEnvironment',
        'logPoller$',
        'rpcFromProvider',
        'toAsyncIterable',
      ].sort(),
    );
  });

  it('documents every export, values and types alike, with a TSDoc summary and an @example', () => {
    const entry = join(__dirname, '..', 'src', 'index.ts');
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
