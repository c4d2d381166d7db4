/** RFC 9110 `token` (a header name, a method): what both the request parser and the answer writer accept. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
