/**
 * Market sentiment: {@link io.tributary.transforms.sentiment.Sentiment} scores text with a finance
 * model ({@link io.tributary.transforms.sentiment.FinanceModel}: finance lexicons, headline grammar,
 * words) and optionally CoreNLP's sentiment model, attributes sentences to tickers, aggregates exact
 * per-ticker windows and alerts on shifts. Artifact {@code tributary-sentiment}: core and CoreNLP
 * (sentence splitting); the CoreNLP methods' model files come from {@code
 * tributary-sentiment-models} (or CoreNLP's models jars) on the runtime classpath.
 */
package io.tributary.transforms.sentiment;
