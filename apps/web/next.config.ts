import type { NextConfig } from 'next';

const config: NextConfig = {
  // The workspace packages ship TypeScript source (with `.ts` import specifiers), not built JavaScript.
  transpilePackages: ['@qt/api', '@qt/shared', '@qt/indicators'],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          // The dashboard revokes keys and renames workspaces: never inside someone else's frame.
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
        ],
      },
    ];
  },
};

export default config;
