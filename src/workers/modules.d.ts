/** wrangler.toml's rules bundle SQL files as text modules. */
declare module '*.sql' {
  const text: string;
  export default text;
}
