namespace Loadstone;

/// <summary>Finds the <c>scheme://host</c> prefix and the start of the path in an absolute URI string, without allocating.</summary>
internal static class AuthorityParser
{
    /// <summary>
    /// Splits <c>scheme://host[:port]/path?query</c>. <paramref name="keyLength"/> covers <c>scheme://host</c>;
    /// <paramref name="pathStart"/> is the index after the port. Fails for user information and IP literals in
    /// brackets, which never name a logical service.
    /// </summary>
    public static bool TrySplit(string uri, out int keyLength, out int pathStart)
    {
        keyLength = pathStart = 0;
        var separator = uri.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            return false;
        }

        var hostStart = separator + 3;
        var i = hostStart;
        while (i < uri.Length && uri[i] is not (':' or '/' or '?' or '#'))
        {
            if (uri[i] is '@' or '[' or ' ')
            {
                return false;
            }

            i++;
        }

        if (i == hostStart)
        {
            return false;
        }

        keyLength = i;
        if (i < uri.Length && uri[i] == ':')
        {
            while (i < uri.Length && uri[i] is not ('/' or '?' or '#'))
            {
                // http://user:password@host: what looked like a port was user information.
                if (uri[i] == '@')
                {
                    return false;
                }

                i++;
            }
        }

        pathStart = i;
        return true;
    }
}
