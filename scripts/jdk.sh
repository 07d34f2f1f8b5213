# shellcheck shell=sh
# Sourced by every launcher in this folder. Exports JAVA_HOME pointing at a JDK >= 25:
# the caller's JAVA_HOME when it is new enough, otherwise the newest JDK >= 25 found among the
# installed JVMs (whose `release` file says JAVA_VERSION). Fails with a clear message if none.

turnstile_jdk_major() {
  # Prints the major version recorded in "$1/release", or nothing.
  [ -f "$1/release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
}

turnstile_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(turnstile_jdk_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      echo "$JAVA_HOME"
      return 0
    fi
  fi
  best="" best_major=0
  for dir in /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -x "$dir/bin/javac" ] || continue
    major=$(turnstile_jdk_major "$dir")
    [ -n "$major" ] || continue
    if [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
      best="$dir" best_major="$major"
    fi
  done
  [ -n "$best" ] && echo "$best"
}

TURNSTILE_JDK=$(turnstile_find_jdk)
if [ -z "$TURNSTILE_JDK" ]; then
  echo "turnstile: no JDK 25 or newer found. Install one (e.g. Temurin 25) under /usr/lib/jvm," >&2
  echo "turnstile: or point JAVA_HOME at it, then run this command again." >&2
  exit 1
fi
JAVA_HOME=$TURNSTILE_JDK
export JAVA_HOME
PATH="$JAVA_HOME/bin:$PATH"
export PATH
