// Maps a path in the parsed config (as ajv and the rules see it) back to a line:column in the YAML text.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

export type ConfigPath = readonly (string | number)[];
export interface Position { line: number; column: number }

export class SourcePositions {
  // Pairs by key text per map, built on first use: a lookup per diagnostic stays O(1) even for a file
  // with tens of thousands of (unknown) keys.
  private readonly pairs = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** 1-based line and column of a character offset in the text. */
  at(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    // LineCounter reports line 0 before its first recorded line start.
    return line === 0 ? { line: 1, column: offset + 1 } : { line, column: col };
  }

  /**
   * Where the value at `path` is written. An empty value (`id:` with nothing after it) is located at
   * its key; a path that does not exist at the deepest part of it that does.
   */
  value(path: ConfigPath): Position {
    const found = this.walk(path);
    const node = found.value;
    const empty = !node || (isScalar(node) && node.value === null && !node.source);
    return this.of((empty ? found.key : node) ?? found.value ?? this.doc.contents);
  }

  /** The value at `path` exactly as written (`.inf`, not Infinity), when it is a scalar. */
  written(path: ConfigPath): string | undefined {
    const node = this.walk(path).value;
    return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
  }

  /** Where the key of the last segment of `path` is written (the value's, for list items). */
  key(path: ConfigPath): Position {
    const found = this.walk(path);
    return this.of(found.key ?? found.value ?? this.doc.contents);
  }

  private walk(path: ConfigPath): { key?: Node; value?: Node } {
    let value: unknown = this.doc.contents;
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(value)) {
        const pair = this.pairsOf(value).get(String(segment));
        if (!pair) break;
        key = pair.key as Node;
        value = pair.value;
      } else if (isSeq(value) && typeof segment === 'number' && segment < value.items.length) {
        value = value.items[segment];
        key = value as Node;
      } else {
        break;
      }
    }
    return { key, value: (value ?? undefined) as Node | undefined };
  }

  private pairsOf(map: YAMLMap): Map<string, Pair> {
    let index = this.pairs.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items as Pair[]) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined && !index.has(key)) index.set(key, pair); // the first wins, as in the parsed data
      }
      this.pairs.set(map, index);
    }
    return index;
  }

  private of(node: unknown): Position {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.at(range[0]) : { line: 1, column: 1 };
  }
}
