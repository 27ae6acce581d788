/**
 * The app's layers (docs/architecture.md, "Layers"): a module may import from its own layer and the ones below,
 * never from one above, and no import goes round in a circle. Checked by tests/architecture/layers.test.ts.
 */
// From the bottom up. Features sit side by side: one may use another (a transfer is announced in the chat),
// never in a circle.
const LAYERS = [
  ['storage', 'events', 'format', 'styles'],
  ['signaling', 'identity', 'stats'],
  ['peers'],
  ['chat', 'transfer', 'calls', 'push', 'mailbox'],
  ['room'],
  ['app'],
  ['components'],
];

const folders = (layers) => `^web/(${layers.flat().join('|')})/`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: the modules in it cannot be understood, tested or loaded lazily apart.',
      from: {},
      to: { circular: true },
    },
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `no-upward-from-${layer.join('-')}`,
      severity: 'error',
      comment: `web/{${layer.join(',')}} may not import from a higher layer (${LAYERS.slice(i + 1).flat().join(', ')}).`,
      from: { path: folders([layer]) },
      to: { path: folders(LAYERS.slice(i + 1)) },
    })),
    {
      name: 'no-app-in-server',
      severity: 'error',
      comment: 'The signal server shares only its protocol with the app, and never imports the app.',
      from: { path: '^signal/' },
      to: { path: '^(web|sw)/' },
    },
    {
      name: 'only-the-protocol-from-the-server',
      severity: 'error',
      comment: 'The app and its worker use the wire protocol of the server (signal/protocol/) and nothing else of it.',
      from: { path: '^(web|sw)/' },
      to: { path: '^signal/', pathNot: '^signal/protocol/' },
    },
    {
      name: 'no-screens-in-the-worker',
      severity: 'error',
      comment: 'The service worker has no DOM: it uses the app below its components (storage, push, calls\' data).',
      from: { path: '^sw/' },
      to: { path: '^web/(components|room)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
