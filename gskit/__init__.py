"""gskit: IBM i GSKit secure sockets and Qso completion ports on OpenSSL."""
