# A thin wrapper over the npm scripts, so the image cannot drift from what CI runs:
# `npm ci` then `npm start` (serve a seeded district). PGlite in memory by default;
# set DATABASE_URL=postgres://… to use a real Postgres, or a path such as /data/pglite
# (with a volume) to keep an embedded database between restarts.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The CLI's launcher builds the sources on its first run (bin/rosterlab.js): do it now, not at every container start.
RUN npm run rosterlab -- --help > /dev/null
EXPOSE 8080
VOLUME ["/data"]
# GET /health answers 200 once the database answers (503 while it does not); node's fetch, no curl in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["npm", "start"]
