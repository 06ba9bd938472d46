package io.tributary.pipelines.io;

import java.util.Set;

/**
 * Where a pipeline reads and writes, parsed once from its options: the source, the result sinks
 * and the dead-letter target, each a known choice in lower case.
 */
public record Routes(String source, Set<String> sinks, String deadLetter) {
  /** Checks the source and sink options, recording every problem in {@code check}. */
  public static <O extends SourceOptions & SinkOptions> Routes check(O options, OptionsCheck check) {
    return new Routes(
        Sources.check(options, check), Sinks.check(options, check), Sinks.checkDeadLetter(options, check));
  }
}
