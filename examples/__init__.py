"""Small CDK apps that show the library's integrations; each synthesizes offline."""
