package io.tributary.pipelines.io;

import java.util.Set;

/**
 * Where a pipeline reads and writes, parsed once from its options: the source, the result sinks
 * and the dead-letter target, each a known choice in lower case.
 */
public record Routes(String source, Set<String> sinks, String deadLetter) {
  /**
   * Checks the source and sink options, recording every problem in {@code check}. {@code
   * extraSinks} are the pipeline's own result sinks beside console, kafka and files (e.g. a
   * database); the pipeline checks their options.
   */
  public static <O extends SourceOptions & SinkOptions> Routes check(
      O options, OptionsCheck check, String... extraSinks) {
    return check(options, check, Set.of(), Set.of(extraSinks));
  }

  /** As {@link #check(SourceOptions, OptionsCheck, String...)}, with the pipeline's own sources too. */
  public static <O extends SourceOptions & SinkOptions> Routes check(
      O options, OptionsCheck check, Set<String> extraSources, Set<String> extraSinks) {
    return check(options, check, Sinks.CONSOLE, extraSources, extraSinks);
  }

  /**
   * As {@link #check(SourceOptions, OptionsCheck, Set, Set)}, with the result sink used when
   * {@code --sink} is not given.
   */
  public static <O extends SourceOptions & SinkOptions> Routes check(
      O options, OptionsCheck check, String defaultSink, Set<String> extraSources, Set<String> extraSinks) {
    return new Routes(
        Sources.check(options, check, extraSources),
        Sinks.check(options, check, defaultSink, extraSinks),
        Sinks.checkDeadLetter(options, check));
  }

  /** Whether results go to Kafka or files, as JSON. */
  public boolean json() {
    return sinks.contains(Sinks.KAFKA) || sinks.contains(Sinks.FILES);
  }
}
