# Sourced by scripts/test.sh: real plugins from PyPI for the plugin tests, installed with `onramp plugins install`
# (each into a virtual environment of its own) under .build-plugins, kept between runs. Exports
# ONRAMP_TEST_PLUGINS. A Singer tap (meltanolabs-tap-postgres: it reads the throwaway PostgreSQL) and an Airbyte
# source (airbyte-source-faker, whose airbyte-cdk also runs low-code manifests). About 70 s the first time.
ONRAMP_TEST_PLUGINS=${ONRAMP_TEST_PLUGINS:-$PWD/.build-plugins}
plugin_test_install() {  # NAME PACKAGE PROTOCOL
  [ -f "$ONRAMP_TEST_PLUGINS/$1/plugin.json" ] && return 0
  .build/debug/onramp plugins install "$2" --protocol "$3" --name "$1" --plugins "$ONRAMP_TEST_PLUGINS"
}
plugin_test_install tap-postgres meltanolabs-tap-postgres==0.10.0 singer
plugin_test_install source-faker airbyte-source-faker==7.2.1 airbyte
export ONRAMP_TEST_PLUGINS
