/** Our extension: the UDP send of a well-formed wake failed (v1.0 could not notice). */
export const WOL_SEND_FAILED = 'WOL_SEND_FAILED';
