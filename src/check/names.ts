// Internationalized domain names. DNS, certificates and policies carry A-labels ("xn--…", RFC 5890
// §2.3.2.1), and node's resolver sends a name as it is given, so the checker turns U-labels into A-labels
// before any lookup or comparison. node:url's domainToASCII applies UTS #46, as browsers and mailers do.
import { domainToASCII } from 'node:url';

/** `name` in A-labels, lower case (e.g. "Bücher.de" → "xn--bcher-kva.de"); unchanged when it is not a valid name. */
export function toALabels(name: string): string {
  return domainToASCII(name) || name;
}
