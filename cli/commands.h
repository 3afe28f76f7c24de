/* The qlm subcommands. Each takes the arguments after its name (argv[0] is the
 * subcommand) and returns the process exit status: 0 ok, 1 runtime error (bad file,
 * failed load), 2 usage error. Commands use only the public header qlm.h. */
#ifndef QLM_CLI_COMMANDS_H
#define QLM_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
