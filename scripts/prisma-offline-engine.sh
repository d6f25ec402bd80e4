#!/usr/bin/env sh
# Prisma's CLI insists on its native schema engine before `generate` and `validate`, and
# downloads it from a host this project's machines cannot reach. Those two commands never
# use it, so an executable that answers `--version` is enough. Only the npm `generate`
# scripts point PRISMA_SCHEMA_ENGINE_BINARY here; with network, the normal CLI still works.
echo "schema-engine-cli 0edf323efd1d98336f3f0a68684b56f689b900d3"
