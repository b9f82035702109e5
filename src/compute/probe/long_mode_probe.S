/* The domain-type probe's guest: a multiboot (v1) image that QEMU loads at
 * 1 MiB by direct kernel boot (the "a.out kludge" header: no ELF loader is
 * involved). It enters 64-bit long mode, proves it (EFER.LMA set, a 64-bit
 * register keeps both halves), prints "hvagent-probe: long mode" on COM1,
 * then does work a booting kernel does — writes and reads 16 MiB twice — and
 * prints "hvagent-probe: ok" only if the sums come out right. A host whose
 * KVM enters long mode but runs guests orders of magnitude slowly (nested
 * set-ups without hardware help) misses the agent's deadline here, as a
 * Linux guest would hang in its decompressor.
 *
 * Built with -DHVAGENT_PROBE_SILENT it halts without a word: the tests' way
 * of showing what the agent decides when a guest never proves itself. */
        .set LOAD_ADDR, 0x100000
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0x00010000      /* the address fields below are valid */
        .set COM1, 0x3f8
        .set WORK_START, 0x400000      /* 4 MiB: above the image, below 32 MiB */
        .set WORK_BYTES, 0x1000000
        .set PASSES, 2

        .code32
        .section .text
        .globl _start
_start:
header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)
        .long header                   /* header_addr */
        .long LOAD_ADDR                /* load_addr */
        .long load_end                 /* load_end_addr */
        .long bss_end                  /* bss_end_addr */
        .long entry32                  /* entry_addr */

entry32:
        cli
#ifdef HVAGENT_PROBE_SILENT
1:      hlt
        jmp 1b
#endif
        movl $stack_top, %esp
        /* Page tables: the first GiB identity-mapped with 2 MiB pages. */
        movl $page_tables, %edi
        xorl %eax, %eax
        movl $(3 * 4096 / 4), %ecx
        rep stosl
        movl $(pdpt + 3), pml4
        movl $(pd + 3), pdpt
        movl $pd, %edi
        movl $0x83, %eax               /* present | writable | large */
2:      movl %eax, (%edi)
        addl $0x200000, %eax
        addl $8, %edi
        cmpl $(pd + 4096), %edi
        jne 2b
        movl %cr4, %eax
        orl $0x20, %eax                /* CR4.PAE */
        movl %eax, %cr4
        movl $pml4, %eax
        movl %eax, %cr3
        movl $0xC0000080, %ecx         /* EFER */
        rdmsr
        orl $0x100, %eax               /* EFER.LME */
        wrmsr
        movl %cr0, %eax
        orl $0x80000001, %eax          /* CR0.PG | CR0.PE */
        movl %eax, %cr0
        lgdt gdt_ptr
        ljmp $0x08, $entry64

        .code64
entry64:
        leaq no_long_mode(%rip), %rsi
        movl $0xC0000080, %ecx
        rdmsr
        btl $10, %eax                  /* EFER.LMA: the CPU runs in long mode */
        jnc fail
        movabsq $0x0123456789abcdef, %rax
        rolq $32, %rax                 /* only a 64-bit register keeps both halves */
        movabsq $0x89abcdef01234567, %rbx
        cmpq %rbx, %rax
        jne fail
        leaq long_mode(%rip), %rsi
        call print

        /* Pass p fills the work area with p and sums it back. */
        movq $PASSES, %r8
3:      movq $WORK_START, %rdi
        movq $(WORK_BYTES / 8), %rcx
        movq %r8, %rax
        rep stosq
        movq $WORK_START, %rdi
        xorq %rbx, %rbx
4:      addq (%rdi), %rbx
        addq $8, %rdi
        cmpq $(WORK_START + WORK_BYTES), %rdi
        jne 4b
        movq %r8, %rax
        imulq $(WORK_BYTES / 8), %rax
        leaq bad_sum(%rip), %rsi
        cmpq %rax, %rbx
        jne fail
        decq %r8
        jnz 3b
        leaq ok(%rip), %rsi
fail:
        call print
5:      hlt
        jmp 5b

/* Writes the NUL-terminated string at %rsi to COM1 (QEMU's UART needs no setup). */
print:
        movw $COM1, %dx
6:      lodsb
        testb %al, %al
        jz 7f
        outb %al, %dx
        jmp 6b
7:      ret

        .section .data
        .align 8
gdt:
        .quad 0
        .quad 0x00209a0000000000       /* ring-0 64-bit code segment */
gdt_end:
gdt_ptr:
        .word gdt_end - gdt - 1
        .long gdt
long_mode:    .asciz "hvagent-probe: long mode\n"
ok:           .asciz "hvagent-probe: ok\n"
no_long_mode: .asciz "hvagent-probe: no long mode\n"
bad_sum:      .asciz "hvagent-probe: wrong sum\n"
load_end:

        .section .bss
        .align 4096
page_tables:
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096
        .skip 1024
stack_top:
bss_end:
