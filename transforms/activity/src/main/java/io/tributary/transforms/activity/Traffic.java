package io.tributary.transforms.activity;

import java.util.Locale;
import java.util.Set;

/**
 * How page and referrer values are keyed, the way web analytics users expect.
 *
 * <ul>
 *   <li>A page is keyed by its path: scheme, host, query string and fragment are dropped ({@code
 *       https://shop.example.com/cart?step=2#top} is {@code /cart}); an empty path is {@code /}.
 *   <li>A referrer is keyed by its host, lower case and without a leading {@code www.} ({@code
 *       https://www.Google.com/search?q=x} is {@code google.com}). A view without referrer is
 *       direct traffic, keyed {@value #DIRECT}. A referrer that is not a URL is keyed as given,
 *       trimmed and lower case.
 *   <li>A referrer whose host is the site itself (the page's own host, or one of the configured
 *       site hosts) is internal navigation, not an acquisition channel: it is counted apart and not
 *       ranked.
 * </ul>
 */
public final class Traffic {
  /** The referrer key of direct traffic. */
  public static final String DIRECT = "(direct)";

  private Traffic() {}

  /** The key of a page. */
  public static String pageKey(String page) {
    String p = page.trim();
    int cut = firstIndexOf(p, '?', '#');
    if (cut >= 0) {
      p = p.substring(0, cut);
    }
    int scheme = p.indexOf("://");
    if (scheme >= 0) {
      int pathStart = p.indexOf('/', scheme + 3);
      p = pathStart < 0 ? "/" : p.substring(pathStart);
    }
    return p.isEmpty() ? "/" : p;
  }

  /**
   * The host of a URL, lower case without {@code www.}, or null if it has none: what lies between
   * {@code ://} (and any {@code user@}) and the next {@code /}, {@code ?}, {@code #} or port; an
   * IPv6 literal keeps its brackets ({@code [2001:db8::1]}), whose colons are not a port.
   * Scanned by hand: this runs for every view, and {@code java.net.URI} costs several times more.
   */
  static String hostOf(String url) {
    int scheme = url.indexOf("://");
    if (scheme < 0) {
      return null;
    }
    int start = scheme + 3;
    int end = url.length();
    for (int i = start; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c == '/' || c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    int at = url.lastIndexOf('@', end - 1);
    if (at >= start) {
      start = at + 1;
    }
    int from = start;
    if (start < end && url.charAt(start) == '[') {
      int close = url.indexOf(']', start);
      from = close >= 0 && close < end ? close + 1 : end;
    }
    int colon = url.indexOf(':', from);
    if (colon >= 0 && colon < end) {
      end = colon;
    }
    String host = url.substring(start, end).trim();
    return host.isEmpty() ? null : stripWww(host.toLowerCase(Locale.ROOT));
  }

  /** The key of a referrer: {@value #DIRECT} when empty, else its host. */
  public static String referrerKey(String referrer) {
    String r = referrer.trim();
    if (r.isEmpty()) {
      return DIRECT;
    }
    String host = hostOf(r);
    return host != null ? host : stripWww(r.toLowerCase(Locale.ROOT));
  }

  /** Whether a view with this page and referrer key is internal navigation. */
  public static boolean isInternal(String page, String referrerKey, Set<String> siteHosts) {
    if (DIRECT.equals(referrerKey)) {
      return false;
    }
    if (siteHosts.contains(referrerKey)) {
      return true;
    }
    String pageHost = hostOf(page);
    return pageHost != null && pageHost.equals(referrerKey);
  }

  /** Lower case, without a leading {@code www.}: the form site hosts are compared in. */
  public static String normalizeHost(String host) {
    return stripWww(host.trim().toLowerCase(Locale.ROOT));
  }

  private static String stripWww(String host) {
    return host.startsWith("www.") ? host.substring(4) : host;
  }

  private static int firstIndexOf(String s, char a, char b) {
    int i = s.indexOf(a);
    int j = s.indexOf(b);
    if (i < 0) {
      return j;
    }
    return j < 0 ? i : Math.min(i, j);
  }
}
