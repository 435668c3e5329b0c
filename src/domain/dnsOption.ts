/**
 * A network option that turns the resolver off (`network create --disable-dns` sets it to "false").
 * Its own module so that the CLI names it in --help without loading address parsing (ip-num).
 */
export const dnsOption = "netledger.network.dns";
