# Shared by the stand-in commands (test/support/sandbox.ts puts them first on PATH): each records
# its argv in $STUB_LOG (arguments separated by \x1f, calls by \x1e) and answers from $STUB_STATE,
# where a test put canned answers. A call a stand-in does not know fails loudly (exit 97), so a
# script cannot pass by calling something no test looked at.

record() {
  local IFS=$'\x1f'
  printf '%s\x1e' "$*" >> "$STUB_LOG"
}

unexpected() {
  echo "stand-in: unexpected call: $*" >&2
  exit 97
}

# The value following `flag` in the arguments after it: `option --name "$@"`.
option() {
  local flag=$1
  shift
  while (($# > 0)); do
    if [[ $1 == "$flag" ]]; then
      echo "$2"
      return 0
    fi
    if [[ $1 == "$flag="* ]]; then
      echo "${1#"$flag="}"
      return 0
    fi
    shift
  done
  return 1
}

# The next answer of the queue $STUB_STATE/<queue>/1, 2...; the last one repeats.
next_answer() {
  local queue="$STUB_STATE/$1" count n
  count=$(find "$queue" -maxdepth 1 -type f -name '[0-9]*' | wc -l)
  ((count > 0)) || unexpected "no answers in $1"
  n=$(($(cat "$queue.calls" 2> /dev/null || echo 0) + 1))
  echo "$n" > "$queue.calls"
  cat "$queue/$((n < count ? n : count))"
}

# Registry contents: $STUB_STATE/acr/<registry name>/<repository>:<tag> holds the digest.
registry_file() {
  echo "$STUB_STATE/acr/$1/$2"
}
