// Linter: typescript-eslint's recommended rules on the program, its tests and tools.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    // The starter kits' JavaScript app is the teams' code: their own CI lints it.
    { ignores: ["node_modules/", "policy/node_modules/", "out/", "templates/**/*.js"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        // The offline runner's preload hooks: plain CommonJS that Node loads before any TypeScript.
        files: ["tools/offline/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: {
                require: "readonly",
                module: "writable",
                process: "readonly",
                __dirname: "readonly",
                console: "readonly",
            },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        files: ["**/*.ts"],
        rules: {
            // Mock registrations and wire values are untyped JSON by nature.
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
);
