/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* placeholder: the placement module's owner replaces this file. */
#include "config.h"
#include "cli.h"
