"""``receipts``: the operator's command line for a running imiconnect-receipts stack.

Every command works the same on the local stack (``--local``, from its state file) and on a
deployed one (``--stack NAME``, from its CloudFormation outputs and secrets, with the
caller's AWS credentials). ``receipts --help`` lists the commands.
"""
