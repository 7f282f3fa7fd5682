#!/usr/bin/env bash
# Refreshes the vendored GraphiQL files in this folder from the npm registry: `npm pack` of the
# pinned versions into a temporary folder, then a copy of the few files the page loads.
# A version changed here must be changed in src/graphiql.rs too (a unit test there checks it).
set -euo pipefail

GRAPHIQL_VERSION=4.1.2 # the last major line that ships a UMD graphiql.min.js (graphql-ws inside)
REACT_VERSION=18.3.1   # React 19 ships no UMD build

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() { # package version
    mkdir "$work/$1"
    (cd "$work/$1" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz)
    echo "$work/$1/package"
}

graphiql=$(unpack graphiql "$GRAPHIQL_VERSION")
react=$(unpack react "$REACT_VERSION")
react_dom=$(unpack react-dom "$REACT_VERSION")

cp "$graphiql/graphiql.min.js" "$graphiql/graphiql.min.css" "$here/"
cp "$graphiql/LICENSE" "$here/LICENSE.graphiql"
cp "$react/umd/react.production.min.js" "$here/"
cp "$react/LICENSE" "$here/LICENSE.react"
cp "$react_dom/umd/react-dom.production.min.js" "$here/"
cp "$react_dom/LICENSE" "$here/LICENSE.react-dom"

cd "$here"
sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
