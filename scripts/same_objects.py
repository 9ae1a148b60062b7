"""Exit 0 when two YAML streams hold the same objects (in any order), else print what differs.

Used by scripts/test.sh: `kubectl kustomize` of `oam render -o DIR` must give back exactly the
objects of `oam render`'s stream.
"""
import json
import sys

import yaml


def objects(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    return sorted(json.dumps(d, sort_keys=True) for d in docs)


def main():
    stream, built = objects(sys.argv[1]), objects(sys.argv[2])
    if stream == built:
        return 0
    only_stream = sorted(set(stream) - set(built))
    only_built = sorted(set(built) - set(stream))
    print(f"{sys.argv[1]} and {sys.argv[2]} differ: {len(stream)} vs {len(built)} objects")
    for d in only_stream:
        print("  only in the stream:", d[:200])
    for d in only_built:
        print("  only in the kustomize build:", d[:200])
    return 1


if __name__ == "__main__":
    sys.exit(main())
