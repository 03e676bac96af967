// herald.js: see issue 4
